"""thidua-bot: the emulation-campaign chatbot of a provincial Department of Science and
Technology."""

__version__ = "0.1.0"
