# tests: signals
