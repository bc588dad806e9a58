"""Read-side questions, asked through a `QueryService` (local SQL store or a remote `serve` endpoint)."""
