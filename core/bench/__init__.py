"""Every benchmark behind ``facerec bench``: ``inference`` (embed, detect), ``pipeline`` (a photo, whole),
``soak`` (the live recognizer for minutes), ``live`` (its frames/s with three faces, time to a name),
``gallery`` (index search at scale), ``training`` (training steps/s); ``headline`` names the one figure each is
compared by. Figures carry the machine they ran on
(:func:`core.tf_runtime.machine`).

May import: every room below it (training, gallery, live, faces, zoo).
"""
