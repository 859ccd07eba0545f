"""DSVDesk: offline 124D / DASH risk assessment, supervisor QA and Board reports for police station PCs."""

__version__ = "0.1.0"
APP_NAME = "DSVDesk"
