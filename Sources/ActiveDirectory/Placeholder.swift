// ActiveDirectory
