"""The sidecars around the engine: config, logs, crash reports, update check, memory
monitor, graceful shutdown, self-test and the one start-up routine of both front ends."""
