"""Face datasets: MXNet RecordIO reader, image folders, TFRecord shards."""
