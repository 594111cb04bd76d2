"""The Python front end of the handler code analysis: an abstract interpreter over the standard `ast`.

Written by hand because no maintained library does what we need offline and in-process: follow one Lambda
handler's event through its own modules with summaries, know boto3's object model (clients, resources, tables,
paginators), and report each hop with its line. Pattern matching cannot tell a constant argument list from a
formatted shell string, nor a guarded value from an unguarded one.

Layout: modules.py parses and resolves imports; analyzer.py holds per-application state and runs entry points;
statements.py / expressions.py interpret a function (state.py is their shared base and records hits); calls.py
resolves calls; library.py interprets library calls through the rows of models.py; sdk.py is the boto3 object
model (aws.py maps method names to operations); powertools.py and web.py know Lambda Powertools and the web
frameworks (Chalice, Flask/Quart, FastAPI); secrets.py finds secret literals.
"""
