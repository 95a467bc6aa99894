"""督办通报 issued as numbered documents, and 三色督办单 for single items."""
