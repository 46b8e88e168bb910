# tests: store
