// CloudExport
