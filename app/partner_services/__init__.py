"""Partners' own services to their managed clients: rate cards, contracts, support requests,
interventions, on-site quotes and the partner's invoices (never mixed with the platform's)."""
