# module: rules added by the module part
