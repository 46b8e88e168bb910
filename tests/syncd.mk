# tests: syncd
