"""Tests of the configuration package: the catalogue of citizen texts."""
