"""Files the app reads at run time, shipped inside the installed package (package data): the app icon.

Find one with :func:`core.paths.resource_path`. The screenshots beside this package are the README's and stay
out of the wheel."""
