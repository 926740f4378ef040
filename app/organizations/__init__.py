"""Organizations, members and their roles, products and rights, partners and managed clients."""
