"""Pytest plugin: a real SMTP server on loopback that receives what the worker sends."""
