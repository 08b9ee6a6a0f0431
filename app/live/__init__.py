"""The Live tab: the video view with face overlays and the panel round it (threshold slider, first start)."""

from app.live.panel import LivePanel
from app.live.video_view import VideoView

__all__ = ["LivePanel", "VideoView"]
