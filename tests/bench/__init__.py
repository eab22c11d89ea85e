"""The benchmarks behind `make bench`, `bench-start`, `bench-dialogue`, `bench-speech`, `bench-faq`,
`bench-voice` and `bench-tts`.

Run as `python -m tests.bench.<module>`; they print figures for the machine they run on. Their
names have no test_ prefix, so pytest collects only the tests of their parts (test_*.py).
"""
