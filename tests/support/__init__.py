"""Helpers the test suite shares: real services started as child processes, mail generation."""
