"""Results to pandas tables, matplotlib figures, and HTML and PDF reports."""
