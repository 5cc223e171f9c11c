"""The browser visualization: a SolaraViz page with the supply network, the compute race and the main levers."""
