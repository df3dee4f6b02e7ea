"""The web channel: the citizens' chat page and JSON API, and the counter desk, on the same answering path.

Nothing here imports telegram. When the Telegram bot runs in the same process, it hands this wing a
StaffChat that posts case cards and thread lines; alone (`python -m bot web`) cases are recorded for staff
to answer offline.
"""
