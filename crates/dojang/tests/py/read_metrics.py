"""Reads a /metrics page with the Prometheus project's own Python client parser (a reader we
did not write) and prints every sample as one JSON object {"name{k=v,...}": value}, labels
sorted, so a test can look values up. A page the parser rejects fails with its message.
Usage: read_metrics.py URL
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        text = r.read().decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}"] = s.value
    print(json.dumps(samples, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
