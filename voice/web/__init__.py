"""The web page customers chat and call from: served with their session by voice/web/server.py."""
