# tests: harness/local
