package flyteauth

// LiveClients is the number of clients not yet closed or finalized (for tests).
func LiveClients() int64 { return liveClients.Load() }
