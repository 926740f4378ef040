"""Ticket offices: events, performances, orders, tickets, cancellations, control and deadlines."""
