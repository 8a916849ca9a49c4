import FlyteAuth
print("flyteauth \(LibraryVersion.string)")
