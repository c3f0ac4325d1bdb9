"""One-time passwords for the development seal, shared by every test in this process.

The signing service accepts each 30-second step once per credential: tests that each
computed "the current code" collided whenever two of them used the seal of the same service
within one step. One TotpSource per process hands out the steps in order, as the vault does.
"""

from signing.csc_server.assembly import DEV_CREDENTIALS
from signing.issuing.pades import TotpSource

SEAL_OTP_SECRET = next(c.otp_secret for c in DEV_CREDENTIALS if c.id == "h57-seal") or b""
seal_otp = TotpSource(SEAL_OTP_SECRET)
