// Placeholder: filled in by the benchmark work.
print("cvrnet-benchmark")
