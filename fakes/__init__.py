"""Loopback fakes of the APIs the providers speak (OpenAI, Anthropic, Gemini, vLLM pooling).

They speak each wire format from its public documentation, never through our own clients'
code, so a test against them checks our clients. Also the headless-browser driver
(`fakes/browser.py`) the report's browser tests and bench/report_scale.py both use.
Shared by tests/ and bench/; not installed.
`python -m fakes` runs the server as a program (see fakes/server.py).
"""
