"""Pipeline stages. Each takes receive/send memory object streams and owns closing them."""
