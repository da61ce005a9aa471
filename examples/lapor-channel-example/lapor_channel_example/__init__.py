"""An example lapor-gateway channel package: a generic SMS aggregator's signed HTTP callback
(channel ``smsagg``). The adapter is ``adapter.py``, its test sender ``testing.py``, its
recorded cases ``testdata/``; the tutorial is the gateway's ``docs/plugins.md``."""
