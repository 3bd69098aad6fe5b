"""The reviewer console: the queue of verification requests and the review page."""
