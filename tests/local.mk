# tests: rules added by the tests part
