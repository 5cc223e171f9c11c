"""Calibration by fitting: a scenario's uncertain parameters estimated against the calibration targets."""
