"""Judge types: a prompt template file, a pure verdict parser and decoding defaults each."""
