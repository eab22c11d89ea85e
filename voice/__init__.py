"""Phone-style calls in front of the assistant.

Inbound audio flows through small stages — transport → audio format → VAD/endpointing
→ speech recognition → text cleanup → assistant — and the replies come back through
speakable text → TTS → paced playback → transport. ``session.CallSession`` wires the
stages for one call; ``transports/`` holds the thin protocol adapters at the edges.
"""
