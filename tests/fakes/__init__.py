"""In-process stand-ins for services that cannot run here (tests only; never imported by the product)."""
