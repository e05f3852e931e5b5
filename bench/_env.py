"""The environment every in-process benchmark runs in (moto, fast hashes, a bench prefix):
``os.environ.update(BENCH_ENV)`` (and pop AWS_ENDPOINT_URL) before importing the app."""

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1", "WAGATE_PREFIX": "wagate-bench",
    "WAGATE_JWT_SECRET": "bench-secret-bench-secret-bench-secret",
    "WAGATE_INTERNAL_SECRET": "bench", "WAGATE_FAST_PASSWORD_HASHES": "true",
    "WAGATE_OTP_PEPPER": "bench-otp-pepper-0123456789",
}
