"""Card payments shared by billing and ticketing: one provider interface, authorize during the
request, capture once its transaction has committed (void when it rolls back)."""
