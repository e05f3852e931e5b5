"""Request and response models of the native API, one module per resource family.

Routes name them as ``"module:Model"`` (see ``api.edge.endpoint``); they are imported on the
first request that needs them, and the OpenAPI document is generated from them.
"""
