"""Policy levers: plug-ins registered by name, each acting on the model through one small interface."""
