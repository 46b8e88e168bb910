# tools: rules added by the tools part
