"""The monthly summary switch."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class SubscriptionForm(FlaskForm):
    subscribe = HiddenField(default="1")
