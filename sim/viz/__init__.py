"""The browser page: the compute race, leakage and the supply network of one run, with the scenario and the main levers
as controls and the previous run kept as a reference."""
