// RunHistory
