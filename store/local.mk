# store: rules added by the store part
