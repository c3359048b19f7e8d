"""streams: moves data. Camera video in (RTSP or a replayed file, decoded once, latest frame
only), and the event stream out. Knows nothing of detection, storage or the web."""
