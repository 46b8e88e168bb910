# syncd: rules added by the syncd part
