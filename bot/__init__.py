"""Rasa project files (domain, data, endpoints, channels) and the tools that run them."""
