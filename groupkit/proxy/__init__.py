"""`groupkit proxy`: a validating reverse proxy that forwards real traffic to a server unchanged (`forward`)
and checks each exchange against the contract (`rules`, `request_rules`, on `exchange`'s shared types), keeps
a masked journal and the findings (`record`), and writes the reports at exit (`report`, `cli`)."""
